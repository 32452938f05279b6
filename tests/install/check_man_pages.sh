#!/usr/bin/env bash
# The man pages are written by hand (resources/linux/peft-studio*.1); this keeps them honest:
# every command that `peft-studio-cli --help` lists and every option that `peft-studio --help`
# lists must be described in the page.
#   check_man_pages.sh MAN_DIR CLI [GUI]
set -euo pipefail
man_dir="$1"
cli="$2"
gui="${3:-}"
missing=0

# Command lines of the CLI's help: two spaces, then the command name.
while read -r cmd; do
    if ! grep -qE "^\.BI? \"?${cmd}( |\"|$)" "$man_dir/peft-studio-cli.1"; then
        echo "peft-studio-cli.1 does not describe the command '$cmd'"
        missing=1
    fi
done < <("$cli" --help | sed -nE 's/^  ([a-z][a-z-]*).*/\1/p')

if [ -n "$gui" ]; then
    while read -r opt; do
        # In troff source every '-' of an option is written '\-'.
        if ! grep -qF -- "\\-\\-${opt//-/\\-}" "$man_dir/peft-studio.1"; then
            echo "peft-studio.1 does not describe the option '--$opt'"
            missing=1
        fi
    done < <("$gui" --help | sed -nE 's/^ +(-[a-zA-Z], )?--([a-z][a-z-]*).*/\2/p')
fi

[ "$missing" = 0 ] && echo "man pages describe every command and option"
exit "$missing"
