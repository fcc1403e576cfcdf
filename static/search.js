// Search suggestions as you type; written in a later change.
