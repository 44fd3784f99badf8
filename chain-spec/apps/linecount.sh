#!/bin/sh
# Native demo app (runs only on pools that allow native apps): prints its arguments and the line and
# word counts of the task's dataset, and writes the counts to $IEXEC_OUT/counts.txt.
set -e
echo "args: $*"
if [ -n "$IEXEC_DATASET_FILENAME" ]; then
  lines=$(wc -l < "$IEXEC_IN/$IEXEC_DATASET_FILENAME")
  words=$(wc -w < "$IEXEC_IN/$IEXEC_DATASET_FILENAME")
  echo "lines $((lines)) words $((words))" | tee "$IEXEC_OUT/counts.txt"
fi
