"""Import every module of one package, using only the environment it was synced into."""

import importlib
import os
import pkgutil
import sys

# A service's lambda_handler builds its app when imported, as Lambda's init phase does: give
# it the settings a deployment has, pointing at nothing (building the app makes no call).
DEPLOYED = {
    "LIFT_ENVIRONMENT": "test",
    "LIFT_KMS_KEY_ID": "alias/isolation-check",
    "LIFT_DYNAMODB_ENDPOINT": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "isolation-check",
    "AWS_SECRET_ACCESS_KEY": "isolation-check",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def main(package_name: str) -> int:
    for name, value in DEPLOYED.items():
        os.environ.setdefault(name, value)
    package = importlib.import_module(package_name)
    imported = [package_name]
    for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
        importlib.import_module(module.name)
        imported.append(module.name)
    print(f"isolation: {package_name}: {len(imported)} modules import with declared deps only")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
