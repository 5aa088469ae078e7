#!/usr/bin/env python
"""Django's command-line utility; `pingan` is the same thing installed as a script."""

from pingan.cli import main

if __name__ == "__main__":
    main()
