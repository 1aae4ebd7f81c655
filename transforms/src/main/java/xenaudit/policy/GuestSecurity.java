package xenaudit.policy;
public final class GuestSecurity { public static GuestSecurity of(CpuPolicy p) { return null; } public Vendor vendor() { return null; } public Long family() { return null; } public Long model() { return null; } public Long stepping() { return null; } public Boolean feature(String c) { return null; } public Assessment assessment(SecurityIssue i) { return null; } }
