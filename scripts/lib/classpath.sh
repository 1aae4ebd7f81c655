# Sourced by the scripts: builds the transforms module when its jar is missing or older than any
# source, and prints the runtime classpath (the module's classes plus its dependencies).
xenaudit_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

xenaudit_transforms_classpath() {
  local mod="$xenaudit_root/transforms"
  local stamp="$mod/target/lib/.built"
  if [ ! -f "$stamp" ] || [ -n "$(find "$mod/src/main" "$mod/pom.xml" "$xenaudit_root/pom.xml" -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    echo "xenaudit: building the format core (first use or sources changed)..." >&2
    (cd "$xenaudit_root" && mvn -B -ntp -q -pl transforms -am install -DskipTests >&2) || {
      echo "xenaudit: build failed; run 'mvn -B -ntp -pl transforms -am install -DskipTests' to see why" >&2
      return 2
    }
    touch "$stamp"
  fi
  echo "$mod/target/classes:$mod/target/lib/*"
}
