"""Training-side tools: analyze MIDI folders, train the Keras LSTM, convert it to TFLite, evaluate it."""
