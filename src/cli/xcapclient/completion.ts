/**
 * Shell completion scripts for xcapclient. Options, actions, application usages and
 * contexts complete locally; node selectors come from the server: the script runs
 * `xcapclient <the words typed so far> --complete-selector <partial>`, which fetches
 * the document those words name and lists the selectors continuing <partial>.
 *
 * Node selectors hold characters the shell treats specially (`[ ] " = @`), so bash
 * offers them inside single quotes; zsh quotes what it inserts by itself.
 */
export interface CompletionWords {
  /** Every option spelling (`-p`, `--password`, ...). */
  readonly options: readonly string[];
  /** The spellings of options that take a value. */
  readonly valueOptions: readonly string[];
  readonly actions: readonly string[];
  readonly apps: readonly string[];
}

function words(list: readonly string[]): string {
  return list.join(' ');
}

export function bashCompletionScript(w: CompletionWords): string {
  const fileOptions = ['-i', '-o'];
  const freeValueOptions = w.valueOptions.filter((o) => !['--app', '-c', '--context', '--auth', '--completion', ...fileOptions].includes(o));
  return `# bash completion for xcapclient; load with: source <(xcapclient --completion bash)
_xcapclient() {
  local line cur prev i n word action="" quote="" IFS=$' \\t\\n'
  local -a lw args
  COMPREPLY=()
  # COMP_WORDS is split at = " : and @, which node selectors are full of: split the line itself.
  line="\${COMP_LINE:0:COMP_POINT}"
  read -ra lw <<< "$line"
  n=\${#lw[@]}
  if [[ "$line" =~ [[:space:]]$ ]]; then cur=""; else cur="\${lw[n-1]}"; (( n-- )); fi
  prev="\${lw[n-1]}"
  for (( i = 1; i < n; i++ )); do
    word="\${lw[i]}"; word="\${word#[\\'\\"]}"; word="\${word%[\\'\\"]}"
    args+=( "$word" )
  done
  case "$prev" in
    --app) COMPREPLY=( $(compgen -W "${words(w.apps)}" -- "$cur") ); return 0 ;;
    -c|--context) COMPREPLY=( $(compgen -W "users global" -- "$cur") ); return 0 ;;
    --auth) COMPREPLY=( $(compgen -W "auto digest basic none" -- "$cur") ); return 0 ;;
    --completion) COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") ); return 0 ;;
    ${fileOptions.join('|')}) COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;;
    ${freeValueOptions.join('|')}) return 0 ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "${words(w.options)}" -- "$cur") )
    return 0
  fi
  for (( i = 0; i < \${#args[@]}; i++ )); do
    case "\${args[i]}" in
      ${w.valueOptions.join('|')}) (( i++ )) ;;
      ${w.actions.join('|')}) action="\${args[i]}"; break ;;
    esac
  done
  if [[ -z "$action" ]]; then
    COMPREPLY=( $(compgen -W "${words(w.actions)}" -- "$cur") )
    return 0
  fi
  case "$cur" in
    \\'*) quote="'"; cur="\${cur#\\'}" ;;
    \\"*) quote='"'; cur="\${cur#\\"}" ;;
  esac
  local candidates c
  IFS=$'\\n'
  candidates=( $("\${lw[0]}" "\${args[@]}" --complete-selector "$cur" 2>/dev/null) )
  for c in "\${candidates[@]}"; do
    if [[ -n "$quote" ]]; then COMPREPLY+=( "$c" ); else COMPREPLY+=( "'$c'" ); fi
  done
  compopt -o nospace 2>/dev/null
  return 0
}
complete -F _xcapclient xcapclient
`;
}

export function zshCompletionScript(w: CompletionWords): string {
  return `#compdef xcapclient
# zsh completion for xcapclient; load with: source <(xcapclient --completion zsh)
_xcapclient_selectors() {
  local -a candidates
  candidates=( \${(f)"$(\${words[1]} \${words[2,CURRENT-1]} --complete-selector "\${(Q)PREFIX}" 2>/dev/null)"} )
  compadd -S '' -- \${candidates}
}
_xcapclient() {
  local -a opts
  local state
  case "\${words[CURRENT-1]}" in
    --app) compadd -- ${words(w.apps)}; return ;;
    -c|--context) compadd -- users global; return ;;
    --auth) compadd -- auto digest basic none; return ;;
    --completion) compadd -- bash zsh; return ;;
    -i|-o) _files; return ;;
    ${w.valueOptions.filter((o) => !['--app', '-c', '--context', '--auth', '--completion', '-i', '-o'].includes(o)).join('|')}) return ;;
  esac
  if [[ "\${PREFIX}" == -* ]]; then
    compadd -- ${words(w.options)}
    return
  fi
  local i action=""
  for (( i = 2; i < CURRENT; i++ )); do
    case "\${words[i]}" in
      ${w.valueOptions.join('|')}) (( i++ )) ;;
      ${w.actions.join('|')}) action="\${words[i]}"; break ;;
    esac
  done
  if [[ -z "$action" ]]; then
    compadd -- ${words(w.actions)}
  else
    _xcapclient_selectors
  fi
}
if [[ "\${funcstack[1]}" == _xcapclient ]]; then _xcapclient "$@"; else compdef _xcapclient xcapclient; fi
`;
}
