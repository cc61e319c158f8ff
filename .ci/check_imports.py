"""Import every module of one package, using only the environment it was synced into."""

import importlib
import pkgutil
import sys


def main(package_name: str) -> int:
    package = importlib.import_module(package_name)
    imported = [package_name]
    for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
        importlib.import_module(module.name)
        imported.append(module.name)
    print(f"isolation: {package_name}: {len(imported)} modules import with declared deps only")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
