"""The package list: every package under zoo/, found rather than listed, plus the shipped exports.

The rest of the configuration is in setup.cfg. exported/ is installed as the package
zoo._exported (see `package_dir` there), where zoo.paths finds it after a wheel install;
`find_packages` cannot see it, since the folder lies outside zoo/.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["zoo", "zoo.*"]), "zoo._exported"])
