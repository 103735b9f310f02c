import AssayCLI
