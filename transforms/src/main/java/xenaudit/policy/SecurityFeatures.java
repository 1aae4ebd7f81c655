package xenaudit.policy;
import java.util.List;
public final class SecurityFeatures { public static final List<String> COLUMNS = List.of("ibrsb"); }
