from django import forms


class StyledForm(forms.Form):
    """Adds Bootstrap classes to every widget, so templates can render fields plainly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select form-select-sm"
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            else:
                css = "form-control form-control-sm"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
