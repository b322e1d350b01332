"""The reader's choice per kind of notice, on the settings page: one field per kind they can get."""
from flask_wtf import FlaskForm
from wtforms import SelectField

from ..core.forms import options
from . import kinds


def field_name(key: str) -> str:
    return key.replace(".", "_")


def choices_form(user, digest: bool, **kw) -> FlaskForm:
    """A form with a choice for each kind of this reader's roles that has more than one way (what must reach them
    has none); each field starts at the reader's current choice. The digest is offered only where the school sends
    e-mail or SMS: in the portal every notice shows at once."""
    current = kinds.choices_of(user)

    class ChoicesForm(FlaskForm):
        pass

    for kind in kinds.kinds_for(user):
        modes = [mode for mode in kind.modes() if digest or mode != kinds.DIGEST]
        if not kind.must_reach:
            setattr(ChoicesForm, field_name(kind.key), SelectField(
                kind.label, choices=options((mode, kinds.MODE_LABELS[mode]) for mode in modes),
                default=current[kind.key]))
    return ChoicesForm(prefix="kinds", **kw)


def chosen(form: FlaskForm, user) -> dict[str, str]:
    return {kind.key: form[field_name(kind.key)].data for kind in kinds.kinds_for(user) if not kind.must_reach}
