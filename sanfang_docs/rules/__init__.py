"""The manual's rules as plain functions (DESIGN.md "Interviews"): general (dates, members,
votes), owners' body (示范文本2–4, 8), scoring (5–7, 10–13) and resident matters (9).

Interviews name a module in their ``modules`` list; the register and the engine call the same
functions, so a rule reads the same everywhere. May import: nothing of the package.
"""
