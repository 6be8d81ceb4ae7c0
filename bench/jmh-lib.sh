# Shared by bench/engine.sh and bench/entry-index.sh: JMH benchmarks live with a module's tests.
# Expects ROOT and MODULE; builds the project, then sets JAVA_HOME, WORK (removed at exit) and CP
# (the module's test class path).
JAVA_HOME="$("$ROOT/oms" java-home)"
export JAVA_HOME
WORK="$(mktemp -d "/tmp/oms-$MODULE-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

mvn -B -q -f "$ROOT/pom.xml" -DskipTests install >&2
mvn -B -q -f "$ROOT/$MODULE/pom.xml" test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$WORK/cp.txt" >&2
CP="$ROOT/$MODULE/target/test-classes:$ROOT/$MODULE/target/classes:$(cat "$WORK/cp.txt")"
