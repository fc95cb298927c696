"""Recurrent operators, one folder per cell: ``naive.py`` holds the readable per-step reference."""
