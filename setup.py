"""Build script: only the optional compiled HTML walk; the rest of the metadata is in setup.cfg.

``ccdump.writers._lexborwalk`` needs a C compiler and the Python headers, nothing else (it finds
lexbor inside selectolax at run time). Without a compiler the build goes on without it and
:mod:`ccdump.writers.html_extract` uses its Python walk: same output, slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ccdump.writers._lexborwalk",
            sources=["ccdump/writers/_lexborwalk.c"],
            extra_compile_args=["-O2"],
            libraries=["dl"],
            optional=True,
        )
    ]
)
