package xenaudit.policy;
public record Assessment(Verdict verdict, String reason) {}
