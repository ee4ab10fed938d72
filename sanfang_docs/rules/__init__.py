"""The manual's rules as plain functions (DESIGN.md "Interviews"): general (dates, members,
votes), owners' body (示范文本2–4, 8), scoring (5–7, 10–13), resident matters (9), and model_text:
where a document's words differ from the manual's model and why (interviews/data/model-differences.yml).

Interviews name a module in their ``modules`` list; the register and the engine call the same
functions, so a rule reads the same everywhere. May import: nothing of the package.
"""
