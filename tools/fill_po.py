"""Merge a {msgid or (context, msgid): translation} dict into the zh_CN catalog: python tools/fill_po.py module_with_ZH.py"""
import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "translations/zh_Hans_CN/LC_MESSAGES/messages.po"

zh = runpy.run_path(sys.argv[1])["ZH"]
with PO.open("rb") as f:
    catalog = read_po(f, locale="zh_Hans_CN")
for message in catalog:
    # A key (context, msgid) translates a message with that context (pgettext); a plain msgid, one without.
    key = (message.context, message.id) if message.context else message.id
    if message.id and key in zh:
        message.string = zh[key]
        message.flags.discard("fuzzy")
with PO.open("wb") as f:
    write_po(f, catalog, width=0)
missing = [m.id for m in catalog if m.id and not m.string]
print(f"{len(missing)} untranslated", *missing, sep="\n")
