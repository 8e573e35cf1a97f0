# Argus: one image for API nodes (`serve`) and inference worker nodes (`worker`).
FROM node:20-bookworm-slim
# Build tools for better-sqlite3 and hnswlib-node (compiled from source: no prebuilt downloads);
# ffmpeg for video and stream analysis.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# npm ci builds dist/ (the prepare script); dev dependencies go afterwards.
RUN npm ci && npm prune --omit=dev
ENV ARGUS_MODELS_DIR=/models ARGUS_DATA_DIR=/data ARGUS_HOST=0.0.0.0
VOLUME ["/models", "/data"]
EXPOSE 8000
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
