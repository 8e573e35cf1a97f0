# Argus: one image for API nodes (`serve`) and inference worker nodes (`worker`).
FROM node:20-bookworm-slim
# Build tools for better-sqlite3 and hnswlib-node (compiled from source: no prebuilt downloads).
# Debian's ffmpeg is installed because Argus prefers a system ffmpeg (patched by the distribution)
# for decoding untrusted video; without it the static ffmpeg that npm ci installs
# (@ffmpeg-installer, @ffprobe-installer) is used.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Everything but .dockerignore's list, .npmrc included: it skips onnxruntime-node's install script,
# which would download CUDA parts (the CPU library ships inside the package).
COPY . .
# npm ci builds dist/ (the prepare script); dev dependencies go afterwards. Keep optional
# dependencies and install scripts: the packaged ffmpeg/ffprobe are optional, per-platform
# packages whose install script makes them executable.
RUN npm ci && npm prune --omit=dev
ENV ARGUS_MODELS_DIR=/models ARGUS_DATA_DIR=/data ARGUS_HOST=0.0.0.0
VOLUME ["/models", "/data"]
EXPOSE 8000
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
