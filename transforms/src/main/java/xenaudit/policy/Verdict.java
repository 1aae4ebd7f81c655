package xenaudit.policy;
public enum Verdict { NOT_AFFECTED, MITIGATION_AVAILABLE, EXPOSED, UNKNOWN; public String label() { return name().toLowerCase(); } }
