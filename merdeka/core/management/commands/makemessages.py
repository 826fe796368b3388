"""``makemessages`` without fuzzy guesses: a new string starts untranslated.

msgmerge's fuzzy matching pairs a new msgid with a similar old translation ("WhatsApp"
got "Nama WhatsApp"); those guesses are wrong more often than right here, and a fuzzy
entry fails the translation test anyway. Untranslated entries are easy to find and fill
(``scripts/po_fill.py``).
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
