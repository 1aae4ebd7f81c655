package xenaudit.policy;
public enum SecurityIssue { MDS, TAA, SSB, SPECTRE_V2, SRBDS, GDS, RFDS, ITS; public String column() { return name().toLowerCase(); } }
