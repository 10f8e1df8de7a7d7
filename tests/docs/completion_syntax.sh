#!/bin/bash
# The generated shell completions (what `cmake --install` puts in share/bash-completion and
# share/zsh/site-functions) at least load in their shell.
#   completion_syntax.sh bash FILE: `bash -n`, then sourced, defines _mse_complete.
#   completion_syntax.sh zsh FILE:  `zsh -n`, then autoloaded as a completion function would be
#     (fpath + autoload +X: parsed, not run); exits 77 (skipped) when zsh is not installed,
#     since CI does not install zsh for this.
set -u
shell=${1:?usage: completion_syntax.sh bash|zsh FILE}
file=${2:?usage: completion_syntax.sh bash|zsh FILE}
[ -s "$file" ] || { echo "FAIL: $file missing or empty"; exit 1; }
case "$shell" in
bash)
    bash -n "$file" || { echo "FAIL: bash -n $file"; exit 1; }
    bash --norc --noprofile -c 'source "$1" && declare -F _mse_complete >/dev/null' _ "$file" ||
        { echo "FAIL: sourcing $file does not define _mse_complete"; exit 1; }
    echo "ok: $file parses and defines _mse_complete"
    ;;
zsh)
    command -v zsh >/dev/null || { echo "SKIPPED: zsh is not installed, $file not checked"; exit 77; }
    [ "$(head -n 1 "$file")" = "#compdef mse" ] || { echo "FAIL: $file does not start with #compdef mse"; exit 1; }
    zsh -n "$file" || { echo "FAIL: zsh -n $file"; exit 1; }
    dir=$(cd "$(dirname "$file")" && pwd)
    kind=$(zsh -f -c 'fpath=("$1" $fpath); autoload -Uz +X _mse && whence -w _mse' _ "$dir")
    [[ $kind == *"_mse: function"* ]] || { echo "FAIL: zsh cannot autoload _mse from $dir"; exit 1; }
    echo "ok: $file parses and autoloads as a zsh function"
    ;;
*)
    echo "usage: completion_syntax.sh bash|zsh FILE"
    exit 2
    ;;
esac
