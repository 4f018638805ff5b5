# bash completion for pyperf-stat(1)                       -*- shell-script -*-
#
# Installed as share/bash-completion/completions/pyperf-stat, which
# bash-completion loads on first use; `source` it to try it by hand.
# Options come from `pyperf-stat --help` and event names from
# `pyperf-stat list`, so the completion stays in step with the binary.

# The binary being completed: the command word as typed, else PATH's.
_pyperf_stat_bin()
{
    local cmd=${COMP_WORDS[0]}
    [[ $cmd == "~/"* ]] && cmd=$HOME/${cmd#"~/"}
    if [[ $cmd == */* && -x $cmd ]] || type -P -- "$cmd" >/dev/null; then
        printf '%s\n' "$cmd"
    else
        printf '%s\n' pyperf-stat
    fi
}

# Sets _pyperf_stat_opts (every option) and _pyperf_stat_argopts (those
# that take a value, space separated) from the --help lines of the form
# "  -e, --event EVENTS        text" and "      --lines               text":
# a value's name follows its option after one space, text after two.
_pyperf_stat_parse_help()
{
    local line re='^ +(-[A-Za-z], )?(--[a-z][a-z-]*)( [A-Z][A-Z.]*)?( |$)'
    _pyperf_stat_opts=()
    _pyperf_stat_argopts=' '
    while IFS= read -r line; do
        [[ $line =~ $re ]] || continue
        local short=${BASH_REMATCH[1]%, } long=${BASH_REMATCH[2]}
        _pyperf_stat_opts+=(${short:+"$short"} "$long")
        if [[ ${BASH_REMATCH[3]} ]]; then
            _pyperf_stat_argopts+="${short:+$short }$long "
        fi
    done < <("$1" --help 2>/dev/null)
}

_pyperf_stat_events()
{
    # names are the rows indented by two; headings and notes are not
    "$1" list 2>/dev/null | awk '/^  [^ ]/ { print $1 }'
}

# Files, with FILTER (a glob such as *.py) tried first when given.
_pyperf_stat_files()
{
    local IFS=$'\n' filter=${1-}
    compopt -o filenames 2>/dev/null
    if [[ $filter ]]; then
        COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X "!$filter" -- "$cur"))
        # a script run through its #! line need not end in .py
        ((${#COMPREPLY[@]})) && return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}

_pyperf_stat()
{
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null; then
        # -n : keeps libpfm4 names (perf::CYCLES) in one word; -s splits
        # --opt=value into prev and cur.
        _init_completion -s -n : || return
    else
        # without bash-completion: the words of the line itself, so that
        # perf::CYCLES and --event=... stay whole
        local line=${COMP_LINE:0:COMP_POINT}
        read -ra words <<<"$line"
        [[ $line == *[[:blank:]] || ${#words[@]} -eq 0 ]] && words+=('')
        cword=$((${#words[@]} - 1))
        cur=${words[cword]} prev=${words[cword - 1]}
        if [[ $cur == --*=* ]]; then
            prev=${cur%%=*} cur=${cur#*=}
        fi
    fi

    local bin _pyperf_stat_opts _pyperf_stat_argopts
    bin=$(_pyperf_stat_bin)
    _pyperf_stat_parse_help "$bin"

    # What the words before this one say: a subcommand, the script (after
    # which every word is the script's own), or "--" (a command line).
    local i w command='' script='' dashdash=''
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        if [[ $w == -- ]]; then
            dashdash=$i
            break
        elif [[ $w == -* ]]; then
            [[ $w != *=* && $_pyperf_stat_argopts == *" $w "* ]] && ((i++))
        elif [[ ! $command && ! $script && $w =~ ^(list|record|report)$ ]]; then
            command=$w
        elif [[ $command == report ]]; then
            :    # report takes its FILE anywhere among its options
        else
            script=$w
            break
        fi
    done

    if [[ $dashdash ]]; then
        if ((cword == dashdash + 1)); then
            COMPREPLY=($(compgen -c -- "$cur" | sort -u))
        else
            _pyperf_stat_files
        fi
        return
    fi
    if [[ $script ]]; then
        _pyperf_stat_files
        return
    fi
    [[ $command == list ]] && return

    if [[ $prev == -* && $_pyperf_stat_argopts == *" $prev "* ]]; then
        local IFS=$'\n' head= tail=$cur
        case $prev in
        -e | --event)
            # a comma list, perhaps a {group}: complete its last name
            tail=${cur##*[,\{]}
            head=${cur:0:${#cur}-${#tail}}
            COMPREPLY=($(compgen -P "$head" -W "$(_pyperf_stat_events "$bin")" -- "$tail"))
            ;;
        --sort)
            COMPREPLY=($(compgen -W "$(_pyperf_stat_events "$bin")" -- "$cur"))
            ;;
        --color | --colour)
            COMPREPLY=($(compgen -W $'auto\nalways\nnever' -- "$cur"))
            ;;
        --python)
            if [[ $cur == */* ]]; then
                _pyperf_stat_files
            else
                COMPREPLY=($(compgen -c -- "$cur" | grep -E '^(python|pypy)[0-9.]*$' | sort -u))
            fi
            ;;
        -o | --output | --save | --collapsed | --pprof | --html)
            _pyperf_stat_files
            ;;
        esac
        # readline replaces only the text after the word's last ':'
        if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
            local colon=${cur%"${cur##*:}"}
            COMPREPLY=("${COMPREPLY[@]#"$colon"}")
        fi
        return
    fi

    if [[ $cur == -* ]]; then
        local IFS=$'\n'
        COMPREPLY=($(compgen -W "${_pyperf_stat_opts[*]}"$'\n--' -- "$cur"))
        return
    fi
    if [[ $command == report ]]; then
        _pyperf_stat_files
        return
    fi
    _pyperf_stat_files '*.py'
    if [[ ! $command ]]; then
        local IFS=$'\n'
        COMPREPLY+=($(compgen -W $'list\nrecord\nreport' -- "$cur"))
    fi
}
complete -F _pyperf_stat pyperf-stat
