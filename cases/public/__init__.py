"""The public side: petition pages supporters read and sign, in their language.

Apart from the staff side on purpose: its views read petitions and cases only through
`cases.public.pages` (what may be published), never a model handed to a template.
"""
