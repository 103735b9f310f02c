"""Shim so that `import kubeapi` (and `python -m kubeapi`) also work with Tests/
on sys.path: the package itself lives in ./kubeapi/ and is loaded from there."""

import os as _os

__path__.insert(0, _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "kubeapi"))
_init = _os.path.join(__path__[0], "__init__.py")
with open(_init) as _f:
    exec(compile(_f.read(), _init, "exec"))
