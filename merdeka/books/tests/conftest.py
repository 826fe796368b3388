# the outreach fixtures a reminder is sent through: a real SMTP server, the fake Graph API
from merdeka.outreach.tests.conftest import clock, cloud, graph, smtp  # noqa: F401
