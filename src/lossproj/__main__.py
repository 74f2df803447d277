"""`python -m lossproj` runs the command line."""

from lossproj.cli import main

main()
