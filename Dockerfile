# Builds the fat jar and runs `engagement run`. Configure with ENGAGEMENT_* environment variables
# (see docs/configuration.md: ENGAGEMENT_BOOTSTRAP_SERVERS, ENGAGEMENT_SCHEMA__REGISTRY_URL, ...).
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY schemas schemas
COPY src src
RUN ./mvnw -B -q -DskipTests package

FROM eclipse-temurin:17-jre
WORKDIR /app
COPY --from=build /src/target/engagement.jar /app/engagement.jar
COPY docker/app.properties /app/app.properties
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/app/engagement.jar"]
CMD ["run", "--config", "/app/app.properties"]
