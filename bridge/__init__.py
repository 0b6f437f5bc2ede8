"""Runtime of Beat Generation: MIDI files, tokens, the TFLite step model, sampling and the CLI."""
