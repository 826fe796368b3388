from merdeka.core import regions


def test_the_vendored_list_is_the_whole_kemendagri_2025_list():
    provinces = regions.provinces()
    assert len(provinces) == 38
    cities = [c for p in provinces for c in regions.children(p.code)]
    assert len(cities) == 514
    index = regions._get()
    assert sum(1 for code in index.base if code.count(".") == 2) == 7285
    assert sum(block.count("\n") for block in index.village_text.values()) == 83762


def test_codes_lead_down_to_a_village_with_its_postal_code():
    assert regions.region("32").name == "Jawa Barat"
    assert regions.region("32.73").name == "Kota Bandung"
    village = regions.region("32.73.05.1001")
    assert (village.name, village.postal_code) == ("Maleber", "40184")
    assert regions.is_child("32.73.05", "32.73.05.1001")
    assert not regions.is_child("32.74", "32.73.05")
    assert regions.region("99.99") is None and regions.children("99.99.99.9999") == []


def test_names_are_found_as_sellers_write_them():
    jabar = regions.find("jawa barat")
    assert regions.find("Kota Bandung", parent_code=jabar.code).code == "32.73"
    assert regions.find("Kab. Bogor", parent_code=jabar.code).code == "32.01"
    assert regions.find("Bogor", parent_code=jabar.code) is None  # Kota or Kabupaten?
    assert regions.find("Sleman", parent_code=regions.find("DI Yogyakarta").code).code == "34.04"
    assert regions.find("DKI Jakarta").code == "31" and regions.find("Provinsi Bali").code == "51"
    assert regions.find("Jakarta Selatan", parent_code="31").code == "31.74"
