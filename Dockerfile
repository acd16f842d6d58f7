# flink-compliance on any Flink cluster: the official Flink 2.2 image (Java 17) plus Python,
# PyFlink of the same version, the package, and the pinned connector jars in Flink's lib/.
#   docker build -t flink-compliance:0.1.0 .
FROM maven:3.9-eclipse-temurin-17 AS jars
WORKDIR /build/connectors
COPY connectors/pom.xml .
RUN mvn -q -B -P flink-jars dependency:copy-dependencies -Djars.dir=/jars

# The project's own operators (udfs/jvm), compiled against the image's Flink jars.
FROM maven:3.9-eclipse-temurin-17 AS operators
COPY --from=flink:2.2.1-java17 /opt/flink/lib /flink-lib
COPY udfs/jvm /build/udfs/jvm
RUN mkdir -p /build/classes /operators \
 && javac -nowarn --release 17 -d /build/classes -cp "/flink-lib/*" $(find /build/udfs/jvm -name '*.java') \
 && jar cf /operators/flink-compliance-udfs.jar -C /build/classes .

FROM flink:2.2.1-java17
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python3-dev \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/venv
COPY pyproject.toml README.md /opt/flink-compliance/
COPY jobs /opt/flink-compliance/jobs
COPY udfs /opt/flink-compliance/udfs
COPY connectors /opt/flink-compliance/connectors
COPY tools /opt/flink-compliance/tools
COPY conf /opt/flink-compliance/conf
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev libssl-dev \
 && mkdir -p /opt/flink-compliance/lib/native \
 && gcc -O2 -shared -fPIC -o /opt/flink-compliance/lib/native/libcompliance_hmac.so \
        /opt/flink-compliance/udfs/native/hmac_sha256.c -lcrypto \
 && rm -rf /var/lib/apt/lists/*
RUN /opt/venv/bin/pip install --no-cache-dir /opt/flink-compliance
COPY --from=jars /jars/ /opt/flink/lib/
COPY --from=operators /operators/ /opt/flink/lib/
RUN cp /opt/flink/opt/flink-python-*.jar /opt/flink/lib/
ENV PATH=/opt/venv/bin:$PATH \
    COMPLIANCE_CONF_DIR=/opt/flink-compliance/conf \
    COMPLIANCE_JARS_ON_CLASSPATH=1 \
    COMPLIANCE_NATIVE_LIB=/opt/flink-compliance/lib/native/libcompliance_hmac.so \
    PYTHONPATH=/opt/flink-compliance
WORKDIR /opt/flink-compliance
