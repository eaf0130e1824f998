"""The console's screens: the board, the views still to come, and the dialogs."""
