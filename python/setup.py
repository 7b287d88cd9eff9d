"""Builds the compiled half of the csfpk Python package with CMake (pybind11's cmake_example).

The extension csfpk._core links the csfpk C++ libraries, so the whole project one folder up is
configured (tests off) and two targets are built: the extension and the `csfpk` program. Both go
into the package with a copy of models/ laid out as an install tree (csfpk/bin/csfpk next to
csfpk/share/csfpk/models), so the program and the extension find the models wherever the package
is installed. CMAKE_BUILD_PARALLEL_LEVEL sets the number of compile jobs (default: all cores).
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
SOURCE_DIR = HERE.parent


def project_version() -> str:
    text = (SOURCE_DIR / "CMakeLists.txt").read_text()
    match = re.search(r"project\(csfpk\s+VERSION\s+([0-9.]+)", text)
    if not match:
        raise RuntimeError(f"{SOURCE_DIR / 'CMakeLists.txt'}: no `project(csfpk VERSION x.y.z)`")
    return match.group(1)


class CMakeExtension(Extension):
    def __init__(self, name: str):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        if not (SOURCE_DIR / "CMakeLists.txt").is_file() or not (SOURCE_DIR / "models").is_dir():
            raise RuntimeError(f"{SOURCE_DIR}: not a csfpk source tree (python/ must stay inside it)")
        build_dir = pathlib.Path(self.build_temp).resolve() / "cmake"
        build_dir.mkdir(parents=True, exist_ok=True)
        # The interpreter running pip decides the extension's ABI (a venv's python is fine).
        configure = ["cmake", "-S", str(SOURCE_DIR), "-B", str(build_dir),
                     "-DCMAKE_BUILD_TYPE=Release", "-DCSFPK_BUILD_TESTS=OFF",
                     "-DCSFPK_BUILD_PYTHON=ON", f"-DCSFPK_PYTHON={sys.executable}"]
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "csfpk_python_core",
                        "csfpk", "-j", jobs], check=True)

        extension = pathlib.Path(self.get_ext_fullpath(ext.name)).resolve()
        package = extension.parent
        package.mkdir(parents=True, exist_ok=True)
        built = sorted((build_dir / "python" / "csfpk").glob("_core*.so"))
        if len(built) != 1:
            raise RuntimeError(f"expected one csfpk/_core*.so in {build_dir}, found {built}")
        shutil.copy2(built[0], extension)

        (package / "bin").mkdir(exist_ok=True)
        shutil.copy2(build_dir / "src" / "csfpk", package / "bin" / "csfpk")
        models = package / "share" / "csfpk" / "models"
        if models.exists():
            shutil.rmtree(models)
        shutil.copytree(SOURCE_DIR / "models", models)
        (package / "_build_info.py").write_text(
            "# Written by python/setup.py: an installed package (see csfpk.executable()).\n"
            "import os as _os\n"
            f"VERSION = {project_version()!r}\n"
            "_HERE = _os.path.dirname(_os.path.abspath(__file__))\n"
            "EXECUTABLE = _os.path.join(_HERE, 'bin', 'csfpk')\n"
            "MODELS_DIR = _os.path.join(_HERE, 'share', 'csfpk', 'models')\n"
            "SOURCE_DIR = None\n")


setup(
    version=project_version(),
    ext_modules=[CMakeExtension("csfpk._core")],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
