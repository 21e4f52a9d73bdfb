# Engagement's image: `run` with docker/app.properties; ENGAGEMENT_* variables override every key
# (docs/configuration.md), JAVA_OPTS replaces the JVM flags below.
#   docker build -t engagement .
# The base images are build arguments, so that they can be substituted (scripts/image-check builds
# this file on locally made Debian bases: public images cannot be pulled on the build machines).
ARG BUILD_IMAGE=eclipse-temurin:17-jdk
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

FROM ${BUILD_IMAGE} AS build
# Extra Maven arguments (Maven 3.9 reads MAVEN_ARGS from the environment), and where ./mvnw finds
# Maven itself (default ~/.m2): scripts/image-check passes "-o -Dmaven.repo.local=/m2/repository" and
# /m2, the host's ~/.m2 mounted read-only, so that nothing is downloaded again.
ARG MAVEN_ARGS=""
ARG MAVEN_USER_HOME=/root/.m2
# ./mvnw unpacks Maven with unzip; without it the wrapper takes the .tar.gz and checks it against the
# .zip's checksum, and fails (eclipse-temurin has no unzip).
RUN command -v unzip >/dev/null || { apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends unzip \
    && rm -rf /var/lib/apt/lists/*; }
WORKDIR /src
# Everything the build reads: the wrapper, the pom, checkstyle's rules (validate), schemas, sources.
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY config config
COPY schemas schemas
COPY src/main src/main
# The tests run in CI, not here (maven.test.skip: test sources are not even compiled).
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q -Dmaven.test.skip=true package \
    && cp target/engagement.jar /engagement.jar

FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="engagement" \
      org.opencontainers.image.description="DAU, MAU and engagement ratio from telemetry pings, on Kafka Streams" \
      org.opencontainers.image.licenses="Apache-2.0"
# A fixed non-root user; the state directory is the only place it writes (and /tmp).
RUN groupadd --system --gid 10001 engagement \
    && useradd --system --uid 10001 --gid engagement --home-dir /app --no-create-home --shell /usr/sbin/nologin engagement \
    && mkdir -p /var/lib/engagement && chown engagement:engagement /var/lib/engagement
WORKDIR /app
COPY --from=build /engagement.jar /app/engagement.jar
COPY docker/app.properties /app/app.properties
COPY docker/entrypoint docker/healthcheck /app/
# JVM flags, from measurement (docs/docker.md#jvm-flags): the heap a share of the container's memory,
# leaving room for RocksDB's off-heap budget (256 MiB), metaspace and thread stacks; G1 (shorter
# pauses than Parallel under query load, measured). Set JAVA_OPTS to replace them whole.
ENV JAVA_OPTS="-XX:MaxRAMPercentage=50 -XX:InitialRAMPercentage=25 -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError"
USER 10001:10001
# Kafka Streams' state (RocksDB stores, checkpoints, the instance id): keep it across restarts.
VOLUME /var/lib/engagement
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 CMD ["/app/healthcheck"]
ENTRYPOINT ["/app/entrypoint"]
CMD ["run", "--config", "/app/app.properties"]
