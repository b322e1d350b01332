"""Words shared by the two menus and help requests."""
from flask_babel import lazy_gettext as _l

URGENCY = {1: _l("Normal"), 2: _l("Fairly urgent"), 3: _l("Urgent")}
URGENCY_ZH = {1: "一般", 2: "较急", 3: "紧急"}
