#!/bin/bash
# Run a command as a named, timed stage (see stage() in lib.sh).
# Usage: lib-stage.sh NAME CMD...
. "$(dirname "$0")/lib.sh"
stage "$@"
