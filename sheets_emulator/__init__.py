"""A local emulator of the Google Sheets API v4 and Drive API v3, faithful
enough that what passes against it passes against Google.

    from sheets_emulator import run_emulator
    with run_emulator() as emu:
        ...  # point clients at emu.url
"""

from .faults import Config
from .server import App, Emulator, run_emulator

__all__ = ["App", "Config", "Emulator", "run_emulator"]
