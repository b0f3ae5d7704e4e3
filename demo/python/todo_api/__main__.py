"""Allow ``python -m todo_api``."""

from todo_api.server import main

main()
