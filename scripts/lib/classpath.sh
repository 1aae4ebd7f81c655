# Sourced by the scripts: builds the transforms module when it is missing or older than any
# source, and prints its runtime classpath (its classes plus the dependency jars Maven resolved).
xenaudit_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

xenaudit_transforms_classpath() {
  local mod="$xenaudit_root/transforms"
  local cpfile="$mod/target/runtime.classpath"
  if [ ! -f "$cpfile" ] || [ -n "$(find "$mod/src/main" "$mod/pom.xml" "$xenaudit_root/schemas" "$xenaudit_root/pom.xml" -newer "$cpfile" -print -quit 2>/dev/null)" ]; then
    echo "xenaudit: building the format core (first use or sources changed)..." >&2
    (cd "$xenaudit_root" && mvn -B -ntp -q -pl transforms -am install -DskipTests >&2) || {
      echo "xenaudit: build failed; run 'mvn -B -ntp -pl transforms -am install -DskipTests' to see why" >&2
      return 2
    }
    touch "$cpfile"
  fi
  echo "$mod/target/classes:$(cat "$cpfile")"
}
