public enum AssayCoreVersion { public static let string = "0.1.0" }
