# One image for every process of a deployment: `peoplecoin serve | api | engine | projector` (docs/deployment.md).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt ./
COPY src ./src
RUN pip install --no-cache-dir -c constraints.txt . && useradd --system --home /app peoplecoin
USER peoplecoin
ENV PEOPLECOIN_HOST=0.0.0.0 PEOPLECOIN_PORT=8000 PEOPLECOIN_DATA_DIR=/tmp/peoplecoin
EXPOSE 8000
ENTRYPOINT ["peoplecoin"]
CMD ["serve"]
