# shellcheck shell=bash
# Source this file to run the project's Pulumi engine offline, the way the demo and the tests do:
#   source scripts/env.sh && pulumi version
# It puts the project's venv and the cached engine (scripts/install-pulumi) first on PATH and
# turns off everything that would reach the internet. It never sets credentials.
_pdt_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PDT_ROOT=$_pdt_root
export PDT_VENV=${PDT_VENV:-$_pdt_root/.venv}
PDT_ENGINE_BIN=${PDT_ENGINE_BIN:-$("$_pdt_root/scripts/install-pulumi" --print-dir)}
export PDT_ENGINE_BIN
# The Python language host runs `python3` from PATH (it ignores Pulumi.yaml's virtualenv
# option), so the venv's bin must come first; PULUMI_PYTHON_CMD pins it explicitly.
export PATH="$PDT_VENV/bin:$PDT_ENGINE_BIN:$PATH"
# The Node.js and YAML language hosts, when built (scripts/install-pulumi --language-hosts).
_pdt_hosts=$("$_pdt_root/scripts/install-pulumi" --language-hosts-dir)
[ -d "$_pdt_hosts" ] && export PATH="$PATH:$_pdt_hosts"
unset _pdt_hosts
export PULUMI_PYTHON_CMD="$PDT_VENV/bin/python"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=false
unset _pdt_root
