# Aurex server image. Build: docker build -t aurex .   Run: docker run -p 50051:50051 -p 8080:8080 aurex
FROM node:20-bookworm-slim AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends g++ make python3 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json binding.gyp ./
COPY native ./native
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY . .

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
ENV AUREX_HOST=0.0.0.0 AUREX_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 50051 8080 9464
USER node
CMD ["npm", "start"]
