#!/bin/sh
set -e
python3 -m venv /opt/shop-api
/opt/shop-api/bin/pip install /src/api
fakeroot dpkg-deb --build /opt/shop-api /out/shop-api.deb
