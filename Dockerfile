# Builds one Bulwark application module into a runtime image.
#   docker build --build-arg MODULE=streams-app --build-arg MAIN_CLASS=io.bulwark.streams.app.StreamsMain .
FROM eclipse-temurin:17-jdk AS build
ARG MODULE
WORKDIR /src
COPY . .
# One reactor run: sibling modules resolve from the reactor, not from a repository.
RUN ./mvnw -B -q -pl ${MODULE} -am -DskipTests package dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory=/app/lib \
 && cp ${MODULE}/target/*.jar /app/lib/

FROM eclipse-temurin:17-jre
ARG MAIN_CLASS
ENV MAIN_CLASS=${MAIN_CLASS}
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 bulwark && mkdir -p /var/lib/bulwark && chown bulwark /var/lib/bulwark
COPY --from=build /app/lib /app/lib
USER bulwark
EXPOSE 8080
ENTRYPOINT ["sh", "-c", "exec java -XX:MaxRAMPercentage=75 -cp '/app/lib/*' \"$MAIN_CLASS\" \"$@\"", "--"]
