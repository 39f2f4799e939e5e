# go-toolchain.sh is sourced (not run) by every script in scripts/ that runs go,
# after it has set repo_root and die. It exports GOTOOLCHAIN as go.mod's
# toolchain line says (or its go line when there is none): go1.27.3 today.
#
# A machine starts on its own Go and, with GOTOOLCHAIN=local (Debian's and the
# official images' default, and this machine's), ignores go.mod's lines; the go
# command then refuses the module ("go.mod requires go >= …") or, with an older
# go line, builds with whatever standard library it has, known holes included.
# With GOTOOLCHAIN=go1.27.3 the go command on PATH (any Go ≥ 1.21) downloads
# that release from the module proxy once (about 5 s) and runs it.
# shellcheck shell=bash

command -v go >/dev/null 2>&1 ||
	die "the go command is not on PATH; install Go 1.21 or newer from https://go.dev/dl/" \
		"(the scripts then run the release go.mod names, fetched from the module proxy)"

gridwarn_go=$(sed -n 's/^toolchain[[:space:]]\{1,\}\(go[0-9][^[:space:]]*\).*/\1/p' "$repo_root/go.mod")
[[ -n $gridwarn_go ]] ||
	gridwarn_go=go$(sed -n 's/^go[[:space:]]\{1,\}\([0-9][^[:space:]]*\).*/\1/p' "$repo_root/go.mod")
[[ $gridwarn_go != go ]] || die "go.mod has neither a toolchain nor a go line"
export GOTOOLCHAIN=$gridwarn_go
unset gridwarn_go
