import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class KeyValuePair(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class Tag(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class PortMapping(_message.Message):
    __slots__ = ("container_port", "host_port", "protocol", "name", "app_protocol", "container_port_range")
    CONTAINER_PORT_FIELD_NUMBER: _ClassVar[int]
    HOST_PORT_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    APP_PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_PORT_RANGE_FIELD_NUMBER: _ClassVar[int]
    container_port: int
    host_port: int
    protocol: str
    name: str
    app_protocol: str
    container_port_range: str
    def __init__(self, container_port: _Optional[int] = ..., host_port: _Optional[int] = ..., protocol: _Optional[str] = ..., name: _Optional[str] = ..., app_protocol: _Optional[str] = ..., container_port_range: _Optional[str] = ...) -> None: ...

class HealthCheck(_message.Message):
    __slots__ = ("command", "interval", "timeout", "retries", "start_period")
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RETRIES_FIELD_NUMBER: _ClassVar[int]
    START_PERIOD_FIELD_NUMBER: _ClassVar[int]
    command: _containers.RepeatedScalarFieldContainer[str]
    interval: int
    timeout: int
    retries: int
    start_period: int
    def __init__(self, command: _Optional[_Iterable[str]] = ..., interval: _Optional[int] = ..., timeout: _Optional[int] = ..., retries: _Optional[int] = ..., start_period: _Optional[int] = ...) -> None: ...

class ContainerDependency(_message.Message):
    __slots__ = ("container_name", "condition")
    CONTAINER_NAME_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    container_name: str
    condition: str
    def __init__(self, container_name: _Optional[str] = ..., condition: _Optional[str] = ...) -> None: ...

class Secret(_message.Message):
    __slots__ = ("name", "value_from")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FROM_FIELD_NUMBER: _ClassVar[int]
    name: str
    value_from: str
    def __init__(self, name: _Optional[str] = ..., value_from: _Optional[str] = ...) -> None: ...

class LogConfiguration(_message.Message):
    __slots__ = ("log_driver", "options", "secret_options")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    LOG_DRIVER_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SECRET_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    log_driver: str
    options: _containers.ScalarMap[str, str]
    secret_options: _containers.RepeatedCompositeFieldContainer[Secret]
    def __init__(self, log_driver: _Optional[str] = ..., options: _Optional[_Mapping[str, str]] = ..., secret_options: _Optional[_Iterable[_Union[Secret, _Mapping]]] = ...) -> None: ...

class MountPoint(_message.Message):
    __slots__ = ("source_volume", "container_path", "read_only")
    SOURCE_VOLUME_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_PATH_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    source_volume: str
    container_path: str
    read_only: bool
    def __init__(self, source_volume: _Optional[str] = ..., container_path: _Optional[str] = ..., read_only: _Optional[bool] = ...) -> None: ...

class VolumeFrom(_message.Message):
    __slots__ = ("source_container", "read_only")
    SOURCE_CONTAINER_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    source_container: str
    read_only: bool
    def __init__(self, source_container: _Optional[str] = ..., read_only: _Optional[bool] = ...) -> None: ...

class Ulimit(_message.Message):
    __slots__ = ("name", "soft_limit", "hard_limit")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOFT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    HARD_LIMIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    soft_limit: int
    hard_limit: int
    def __init__(self, name: _Optional[str] = ..., soft_limit: _Optional[int] = ..., hard_limit: _Optional[int] = ...) -> None: ...

class ContainerRestartPolicy(_message.Message):
    __slots__ = ("enabled", "ignored_exit_codes", "restart_attempt_period")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    IGNORED_EXIT_CODES_FIELD_NUMBER: _ClassVar[int]
    RESTART_ATTEMPT_PERIOD_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    ignored_exit_codes: _containers.RepeatedScalarFieldContainer[int]
    restart_attempt_period: int
    def __init__(self, enabled: _Optional[bool] = ..., ignored_exit_codes: _Optional[_Iterable[int]] = ..., restart_attempt_period: _Optional[int] = ...) -> None: ...

class RepositoryCredentials(_message.Message):
    __slots__ = ("credentials_parameter",)
    CREDENTIALS_PARAMETER_FIELD_NUMBER: _ClassVar[int]
    credentials_parameter: str
    def __init__(self, credentials_parameter: _Optional[str] = ...) -> None: ...

class HostEntry(_message.Message):
    __slots__ = ("hostname", "ip_address")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    ip_address: str
    def __init__(self, hostname: _Optional[str] = ..., ip_address: _Optional[str] = ...) -> None: ...

class EnvironmentFile(_message.Message):
    __slots__ = ("value", "type")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    value: str
    type: str
    def __init__(self, value: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class KernelCapabilities(_message.Message):
    __slots__ = ("add", "drop")
    ADD_FIELD_NUMBER: _ClassVar[int]
    DROP_FIELD_NUMBER: _ClassVar[int]
    add: _containers.RepeatedScalarFieldContainer[str]
    drop: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, add: _Optional[_Iterable[str]] = ..., drop: _Optional[_Iterable[str]] = ...) -> None: ...

class Device(_message.Message):
    __slots__ = ("host_path", "container_path", "permissions")
    HOST_PATH_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_PATH_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    host_path: str
    container_path: str
    permissions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, host_path: _Optional[str] = ..., container_path: _Optional[str] = ..., permissions: _Optional[_Iterable[str]] = ...) -> None: ...

class Tmpfs(_message.Message):
    __slots__ = ("container_path", "size", "mount_options")
    CONTAINER_PATH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    MOUNT_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    container_path: str
    size: int
    mount_options: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, container_path: _Optional[str] = ..., size: _Optional[int] = ..., mount_options: _Optional[_Iterable[str]] = ...) -> None: ...

class LinuxParameters(_message.Message):
    __slots__ = ("capabilities", "init_process_enabled", "shared_memory_size", "devices", "tmpfs", "max_swap", "swappiness")
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    INIT_PROCESS_ENABLED_FIELD_NUMBER: _ClassVar[int]
    SHARED_MEMORY_SIZE_FIELD_NUMBER: _ClassVar[int]
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    TMPFS_FIELD_NUMBER: _ClassVar[int]
    MAX_SWAP_FIELD_NUMBER: _ClassVar[int]
    SWAPPINESS_FIELD_NUMBER: _ClassVar[int]
    capabilities: KernelCapabilities
    init_process_enabled: bool
    shared_memory_size: int
    devices: _containers.RepeatedCompositeFieldContainer[Device]
    tmpfs: _containers.RepeatedCompositeFieldContainer[Tmpfs]
    max_swap: int
    swappiness: int
    def __init__(self, capabilities: _Optional[_Union[KernelCapabilities, _Mapping]] = ..., init_process_enabled: _Optional[bool] = ..., shared_memory_size: _Optional[int] = ..., devices: _Optional[_Iterable[_Union[Device, _Mapping]]] = ..., tmpfs: _Optional[_Iterable[_Union[Tmpfs, _Mapping]]] = ..., max_swap: _Optional[int] = ..., swappiness: _Optional[int] = ...) -> None: ...

class FirelensConfiguration(_message.Message):
    __slots__ = ("type", "options")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TYPE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    type: str
    options: _containers.ScalarMap[str, str]
    def __init__(self, type: _Optional[str] = ..., options: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SystemControl(_message.Message):
    __slots__ = ("namespace", "value")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    value: str
    def __init__(self, namespace: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class ResourceRequirement(_message.Message):
    __slots__ = ("value", "type")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    value: str
    type: str
    def __init__(self, value: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class ContainerDefinition(_message.Message):
    __slots__ = ("name", "image", "cpu", "memory", "memory_reservation", "essential", "port_mappings", "environment", "command", "entry_point", "health_check", "depends_on", "stop_timeout", "start_timeout", "log_configuration", "mount_points", "ulimits", "restart_policy", "working_directory", "user", "hostname", "links", "docker_labels", "privileged", "readonly_root_filesystem", "secrets", "repository_credentials", "disable_networking", "dns_servers", "dns_search_domains", "extra_hosts", "interactive", "pseudo_terminal", "environment_files", "volumes_from", "linux_parameters", "system_controls", "resource_requirements", "docker_security_options", "version_consistency", "firelens_configuration", "credential_specs")
    class DockerLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    MEMORY_RESERVATION_FIELD_NUMBER: _ClassVar[int]
    ESSENTIAL_FIELD_NUMBER: _ClassVar[int]
    PORT_MAPPINGS_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    ENTRY_POINT_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_FIELD_NUMBER: _ClassVar[int]
    DEPENDS_ON_FIELD_NUMBER: _ClassVar[int]
    STOP_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    START_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    LOG_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    MOUNT_POINTS_FIELD_NUMBER: _ClassVar[int]
    ULIMITS_FIELD_NUMBER: _ClassVar[int]
    RESTART_POLICY_FIELD_NUMBER: _ClassVar[int]
    WORKING_DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    DOCKER_LABELS_FIELD_NUMBER: _ClassVar[int]
    PRIVILEGED_FIELD_NUMBER: _ClassVar[int]
    READONLY_ROOT_FILESYSTEM_FIELD_NUMBER: _ClassVar[int]
    SECRETS_FIELD_NUMBER: _ClassVar[int]
    REPOSITORY_CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    DISABLE_NETWORKING_FIELD_NUMBER: _ClassVar[int]
    DNS_SERVERS_FIELD_NUMBER: _ClassVar[int]
    DNS_SEARCH_DOMAINS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_HOSTS_FIELD_NUMBER: _ClassVar[int]
    INTERACTIVE_FIELD_NUMBER: _ClassVar[int]
    PSEUDO_TERMINAL_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FILES_FIELD_NUMBER: _ClassVar[int]
    VOLUMES_FROM_FIELD_NUMBER: _ClassVar[int]
    LINUX_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_CONTROLS_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    DOCKER_SECURITY_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    VERSION_CONSISTENCY_FIELD_NUMBER: _ClassVar[int]
    FIRELENS_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_SPECS_FIELD_NUMBER: _ClassVar[int]
    name: str
    image: str
    cpu: int
    memory: int
    memory_reservation: int
    essential: bool
    port_mappings: _containers.RepeatedCompositeFieldContainer[PortMapping]
    environment: _containers.RepeatedCompositeFieldContainer[KeyValuePair]
    command: _containers.RepeatedScalarFieldContainer[str]
    entry_point: _containers.RepeatedScalarFieldContainer[str]
    health_check: HealthCheck
    depends_on: _containers.RepeatedCompositeFieldContainer[ContainerDependency]
    stop_timeout: int
    start_timeout: int
    log_configuration: LogConfiguration
    mount_points: _containers.RepeatedCompositeFieldContainer[MountPoint]
    ulimits: _containers.RepeatedCompositeFieldContainer[Ulimit]
    restart_policy: ContainerRestartPolicy
    working_directory: str
    user: str
    hostname: str
    links: _containers.RepeatedScalarFieldContainer[str]
    docker_labels: _containers.ScalarMap[str, str]
    privileged: bool
    readonly_root_filesystem: bool
    secrets: _containers.RepeatedCompositeFieldContainer[Secret]
    repository_credentials: RepositoryCredentials
    disable_networking: bool
    dns_servers: _containers.RepeatedScalarFieldContainer[str]
    dns_search_domains: _containers.RepeatedScalarFieldContainer[str]
    extra_hosts: _containers.RepeatedCompositeFieldContainer[HostEntry]
    interactive: bool
    pseudo_terminal: bool
    environment_files: _containers.RepeatedCompositeFieldContainer[EnvironmentFile]
    volumes_from: _containers.RepeatedCompositeFieldContainer[VolumeFrom]
    linux_parameters: LinuxParameters
    system_controls: _containers.RepeatedCompositeFieldContainer[SystemControl]
    resource_requirements: _containers.RepeatedCompositeFieldContainer[ResourceRequirement]
    docker_security_options: _containers.RepeatedScalarFieldContainer[str]
    version_consistency: str
    firelens_configuration: FirelensConfiguration
    credential_specs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., image: _Optional[str] = ..., cpu: _Optional[int] = ..., memory: _Optional[int] = ..., memory_reservation: _Optional[int] = ..., essential: _Optional[bool] = ..., port_mappings: _Optional[_Iterable[_Union[PortMapping, _Mapping]]] = ..., environment: _Optional[_Iterable[_Union[KeyValuePair, _Mapping]]] = ..., command: _Optional[_Iterable[str]] = ..., entry_point: _Optional[_Iterable[str]] = ..., health_check: _Optional[_Union[HealthCheck, _Mapping]] = ..., depends_on: _Optional[_Iterable[_Union[ContainerDependency, _Mapping]]] = ..., stop_timeout: _Optional[int] = ..., start_timeout: _Optional[int] = ..., log_configuration: _Optional[_Union[LogConfiguration, _Mapping]] = ..., mount_points: _Optional[_Iterable[_Union[MountPoint, _Mapping]]] = ..., ulimits: _Optional[_Iterable[_Union[Ulimit, _Mapping]]] = ..., restart_policy: _Optional[_Union[ContainerRestartPolicy, _Mapping]] = ..., working_directory: _Optional[str] = ..., user: _Optional[str] = ..., hostname: _Optional[str] = ..., links: _Optional[_Iterable[str]] = ..., docker_labels: _Optional[_Mapping[str, str]] = ..., privileged: _Optional[bool] = ..., readonly_root_filesystem: _Optional[bool] = ..., secrets: _Optional[_Iterable[_Union[Secret, _Mapping]]] = ..., repository_credentials: _Optional[_Union[RepositoryCredentials, _Mapping]] = ..., disable_networking: _Optional[bool] = ..., dns_servers: _Optional[_Iterable[str]] = ..., dns_search_domains: _Optional[_Iterable[str]] = ..., extra_hosts: _Optional[_Iterable[_Union[HostEntry, _Mapping]]] = ..., interactive: _Optional[bool] = ..., pseudo_terminal: _Optional[bool] = ..., environment_files: _Optional[_Iterable[_Union[EnvironmentFile, _Mapping]]] = ..., volumes_from: _Optional[_Iterable[_Union[VolumeFrom, _Mapping]]] = ..., linux_parameters: _Optional[_Union[LinuxParameters, _Mapping]] = ..., system_controls: _Optional[_Iterable[_Union[SystemControl, _Mapping]]] = ..., resource_requirements: _Optional[_Iterable[_Union[ResourceRequirement, _Mapping]]] = ..., docker_security_options: _Optional[_Iterable[str]] = ..., version_consistency: _Optional[str] = ..., firelens_configuration: _Optional[_Union[FirelensConfiguration, _Mapping]] = ..., credential_specs: _Optional[_Iterable[str]] = ...) -> None: ...

class HostVolumeProperties(_message.Message):
    __slots__ = ("source_path",)
    SOURCE_PATH_FIELD_NUMBER: _ClassVar[int]
    source_path: str
    def __init__(self, source_path: _Optional[str] = ...) -> None: ...

class DockerVolumeConfiguration(_message.Message):
    __slots__ = ("scope", "autoprovision", "driver", "driver_opts", "labels")
    class DriverOptsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    AUTOPROVISION_FIELD_NUMBER: _ClassVar[int]
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    DRIVER_OPTS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    scope: str
    autoprovision: bool
    driver: str
    driver_opts: _containers.ScalarMap[str, str]
    labels: _containers.ScalarMap[str, str]
    def __init__(self, scope: _Optional[str] = ..., autoprovision: _Optional[bool] = ..., driver: _Optional[str] = ..., driver_opts: _Optional[_Mapping[str, str]] = ..., labels: _Optional[_Mapping[str, str]] = ...) -> None: ...

class EFSAuthorizationConfig(_message.Message):
    __slots__ = ("access_point_id", "iam")
    ACCESS_POINT_ID_FIELD_NUMBER: _ClassVar[int]
    IAM_FIELD_NUMBER: _ClassVar[int]
    access_point_id: str
    iam: str
    def __init__(self, access_point_id: _Optional[str] = ..., iam: _Optional[str] = ...) -> None: ...

class EFSVolumeConfiguration(_message.Message):
    __slots__ = ("file_system_id", "root_directory", "transit_encryption", "transit_encryption_port", "authorization_config")
    FILE_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    ROOT_DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    TRANSIT_ENCRYPTION_FIELD_NUMBER: _ClassVar[int]
    TRANSIT_ENCRYPTION_PORT_FIELD_NUMBER: _ClassVar[int]
    AUTHORIZATION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    file_system_id: str
    root_directory: str
    transit_encryption: str
    transit_encryption_port: int
    authorization_config: EFSAuthorizationConfig
    def __init__(self, file_system_id: _Optional[str] = ..., root_directory: _Optional[str] = ..., transit_encryption: _Optional[str] = ..., transit_encryption_port: _Optional[int] = ..., authorization_config: _Optional[_Union[EFSAuthorizationConfig, _Mapping]] = ...) -> None: ...

class FSxWindowsFileServerAuthorizationConfig(_message.Message):
    __slots__ = ("credentials_parameter", "domain")
    CREDENTIALS_PARAMETER_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    credentials_parameter: str
    domain: str
    def __init__(self, credentials_parameter: _Optional[str] = ..., domain: _Optional[str] = ...) -> None: ...

class FSxWindowsFileServerVolumeConfiguration(_message.Message):
    __slots__ = ("file_system_id", "root_directory", "authorization_config")
    FILE_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    ROOT_DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    AUTHORIZATION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    file_system_id: str
    root_directory: str
    authorization_config: FSxWindowsFileServerAuthorizationConfig
    def __init__(self, file_system_id: _Optional[str] = ..., root_directory: _Optional[str] = ..., authorization_config: _Optional[_Union[FSxWindowsFileServerAuthorizationConfig, _Mapping]] = ...) -> None: ...

class Volume(_message.Message):
    __slots__ = ("name", "host", "docker_volume_configuration", "configured_at_launch", "efs_volume_configuration", "fsx_windows_file_server_volume_configuration")
    NAME_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    DOCKER_VOLUME_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    CONFIGURED_AT_LAUNCH_FIELD_NUMBER: _ClassVar[int]
    EFS_VOLUME_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    FSX_WINDOWS_FILE_SERVER_VOLUME_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    name: str
    host: HostVolumeProperties
    docker_volume_configuration: DockerVolumeConfiguration
    configured_at_launch: bool
    efs_volume_configuration: EFSVolumeConfiguration
    fsx_windows_file_server_volume_configuration: FSxWindowsFileServerVolumeConfiguration
    def __init__(self, name: _Optional[str] = ..., host: _Optional[_Union[HostVolumeProperties, _Mapping]] = ..., docker_volume_configuration: _Optional[_Union[DockerVolumeConfiguration, _Mapping]] = ..., configured_at_launch: _Optional[bool] = ..., efs_volume_configuration: _Optional[_Union[EFSVolumeConfiguration, _Mapping]] = ..., fsx_windows_file_server_volume_configuration: _Optional[_Union[FSxWindowsFileServerVolumeConfiguration, _Mapping]] = ...) -> None: ...

class PlacementConstraint(_message.Message):
    __slots__ = ("type", "expression")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    type: str
    expression: str
    def __init__(self, type: _Optional[str] = ..., expression: _Optional[str] = ...) -> None: ...

class PlacementStrategy(_message.Message):
    __slots__ = ("type", "field")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    type: str
    field: str
    def __init__(self, type: _Optional[str] = ..., field: _Optional[str] = ...) -> None: ...

class RuntimePlatform(_message.Message):
    __slots__ = ("cpu_architecture", "operating_system_family")
    CPU_ARCHITECTURE_FIELD_NUMBER: _ClassVar[int]
    OPERATING_SYSTEM_FAMILY_FIELD_NUMBER: _ClassVar[int]
    cpu_architecture: str
    operating_system_family: str
    def __init__(self, cpu_architecture: _Optional[str] = ..., operating_system_family: _Optional[str] = ...) -> None: ...

class EphemeralStorage(_message.Message):
    __slots__ = ("size_in_gi_b",)
    SIZE_IN_GI_B_FIELD_NUMBER: _ClassVar[int]
    size_in_gi_b: int
    def __init__(self, size_in_gi_b: _Optional[int] = ...) -> None: ...

class ProxyConfiguration(_message.Message):
    __slots__ = ("type", "container_name", "properties")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_NAME_FIELD_NUMBER: _ClassVar[int]
    PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    type: str
    container_name: str
    properties: _containers.RepeatedCompositeFieldContainer[KeyValuePair]
    def __init__(self, type: _Optional[str] = ..., container_name: _Optional[str] = ..., properties: _Optional[_Iterable[_Union[KeyValuePair, _Mapping]]] = ...) -> None: ...

class InferenceAccelerator(_message.Message):
    __slots__ = ("device_name", "device_type")
    DEVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    DEVICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    device_name: str
    device_type: str
    def __init__(self, device_name: _Optional[str] = ..., device_type: _Optional[str] = ...) -> None: ...

class Attribute(_message.Message):
    __slots__ = ("name", "value", "target_type", "target_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    target_type: str
    target_id: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ..., target_type: _Optional[str] = ..., target_id: _Optional[str] = ...) -> None: ...

class TaskDefinition(_message.Message):
    __slots__ = ("task_definition_arn", "family", "revision", "status", "container_definitions", "task_role_arn", "execution_role_arn", "network_mode", "volumes", "placement_constraints", "requires_compatibilities", "compatibilities", "cpu", "memory", "pid_mode", "ipc_mode", "runtime_platform", "ephemeral_storage", "proxy_configuration", "inference_accelerators", "requires_attributes", "registered_at", "deregistered_at", "registered_by", "enable_fault_injection")
    TASK_DEFINITION_ARN_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    TASK_ROLE_ARN_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ROLE_ARN_FIELD_NUMBER: _ClassVar[int]
    NETWORK_MODE_FIELD_NUMBER: _ClassVar[int]
    VOLUMES_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_COMPATIBILITIES_FIELD_NUMBER: _ClassVar[int]
    COMPATIBILITIES_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    PID_MODE_FIELD_NUMBER: _ClassVar[int]
    IPC_MODE_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_PLATFORM_FIELD_NUMBER: _ClassVar[int]
    EPHEMERAL_STORAGE_FIELD_NUMBER: _ClassVar[int]
    PROXY_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_ACCELERATORS_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    DEREGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_BY_FIELD_NUMBER: _ClassVar[int]
    ENABLE_FAULT_INJECTION_FIELD_NUMBER: _ClassVar[int]
    task_definition_arn: str
    family: str
    revision: int
    status: str
    container_definitions: _containers.RepeatedCompositeFieldContainer[ContainerDefinition]
    task_role_arn: str
    execution_role_arn: str
    network_mode: str
    volumes: _containers.RepeatedCompositeFieldContainer[Volume]
    placement_constraints: _containers.RepeatedCompositeFieldContainer[PlacementConstraint]
    requires_compatibilities: _containers.RepeatedScalarFieldContainer[str]
    compatibilities: _containers.RepeatedScalarFieldContainer[str]
    cpu: str
    memory: str
    pid_mode: str
    ipc_mode: str
    runtime_platform: RuntimePlatform
    ephemeral_storage: EphemeralStorage
    proxy_configuration: ProxyConfiguration
    inference_accelerators: _containers.RepeatedCompositeFieldContainer[InferenceAccelerator]
    requires_attributes: _containers.RepeatedCompositeFieldContainer[Attribute]
    registered_at: _timestamp_pb2.Timestamp
    deregistered_at: _timestamp_pb2.Timestamp
    registered_by: str
    enable_fault_injection: bool
    def __init__(self, task_definition_arn: _Optional[str] = ..., family: _Optional[str] = ..., revision: _Optional[int] = ..., status: _Optional[str] = ..., container_definitions: _Optional[_Iterable[_Union[ContainerDefinition, _Mapping]]] = ..., task_role_arn: _Optional[str] = ..., execution_role_arn: _Optional[str] = ..., network_mode: _Optional[str] = ..., volumes: _Optional[_Iterable[_Union[Volume, _Mapping]]] = ..., placement_constraints: _Optional[_Iterable[_Union[PlacementConstraint, _Mapping]]] = ..., requires_compatibilities: _Optional[_Iterable[str]] = ..., compatibilities: _Optional[_Iterable[str]] = ..., cpu: _Optional[str] = ..., memory: _Optional[str] = ..., pid_mode: _Optional[str] = ..., ipc_mode: _Optional[str] = ..., runtime_platform: _Optional[_Union[RuntimePlatform, _Mapping]] = ..., ephemeral_storage: _Optional[_Union[EphemeralStorage, _Mapping]] = ..., proxy_configuration: _Optional[_Union[ProxyConfiguration, _Mapping]] = ..., inference_accelerators: _Optional[_Iterable[_Union[InferenceAccelerator, _Mapping]]] = ..., requires_attributes: _Optional[_Iterable[_Union[Attribute, _Mapping]]] = ..., registered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deregistered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., registered_by: _Optional[str] = ..., enable_fault_injection: _Optional[bool] = ...) -> None: ...

class Resource(_message.Message):
    __slots__ = ("name", "type", "double_value", "long_value", "integer_value", "string_set_value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DOUBLE_VALUE_FIELD_NUMBER: _ClassVar[int]
    LONG_VALUE_FIELD_NUMBER: _ClassVar[int]
    INTEGER_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_SET_VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    double_value: float
    long_value: int
    integer_value: int
    string_set_value: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., double_value: _Optional[float] = ..., long_value: _Optional[int] = ..., integer_value: _Optional[int] = ..., string_set_value: _Optional[_Iterable[str]] = ...) -> None: ...

class VersionInfo(_message.Message):
    __slots__ = ("agent_version", "agent_hash", "docker_version")
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    AGENT_HASH_FIELD_NUMBER: _ClassVar[int]
    DOCKER_VERSION_FIELD_NUMBER: _ClassVar[int]
    agent_version: str
    agent_hash: str
    docker_version: str
    def __init__(self, agent_version: _Optional[str] = ..., agent_hash: _Optional[str] = ..., docker_version: _Optional[str] = ...) -> None: ...

class HostUsage(_message.Message):
    __slots__ = ("cpu_percent", "memory_used_mib", "memory_total_mib", "reported_at")
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_USED_MIB_FIELD_NUMBER: _ClassVar[int]
    MEMORY_TOTAL_MIB_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    cpu_percent: float
    memory_used_mib: int
    memory_total_mib: int
    reported_at: _timestamp_pb2.Timestamp
    def __init__(self, cpu_percent: _Optional[float] = ..., memory_used_mib: _Optional[int] = ..., memory_total_mib: _Optional[int] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class InstanceHealthCheckResult(_message.Message):
    __slots__ = ("type", "status", "last_updated", "last_status_change")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_UPDATED_FIELD_NUMBER: _ClassVar[int]
    LAST_STATUS_CHANGE_FIELD_NUMBER: _ClassVar[int]
    type: str
    status: str
    last_updated: _timestamp_pb2.Timestamp
    last_status_change: _timestamp_pb2.Timestamp
    def __init__(self, type: _Optional[str] = ..., status: _Optional[str] = ..., last_updated: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_status_change: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ContainerInstanceHealthStatus(_message.Message):
    __slots__ = ("overall_status", "details")
    OVERALL_STATUS_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    overall_status: str
    details: _containers.RepeatedCompositeFieldContainer[InstanceHealthCheckResult]
    def __init__(self, overall_status: _Optional[str] = ..., details: _Optional[_Iterable[_Union[InstanceHealthCheckResult, _Mapping]]] = ...) -> None: ...

class ContainerInstance(_message.Message):
    __slots__ = ("container_instance_arn", "ec2_instance_id", "version", "version_info", "remaining_resources", "registered_resources", "status", "status_reason", "agent_connected", "running_tasks_count", "pending_tasks_count", "attributes", "registered_at", "tags", "health_status", "session_epoch", "host_usage", "disconnected_at", "host_ip")
    CONTAINER_INSTANCE_ARN_FIELD_NUMBER: _ClassVar[int]
    EC2_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    VERSION_INFO_FIELD_NUMBER: _ClassVar[int]
    REMAINING_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    AGENT_CONNECTED_FIELD_NUMBER: _ClassVar[int]
    RUNNING_TASKS_COUNT_FIELD_NUMBER: _ClassVar[int]
    PENDING_TASKS_COUNT_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    HEALTH_STATUS_FIELD_NUMBER: _ClassVar[int]
    SESSION_EPOCH_FIELD_NUMBER: _ClassVar[int]
    HOST_USAGE_FIELD_NUMBER: _ClassVar[int]
    DISCONNECTED_AT_FIELD_NUMBER: _ClassVar[int]
    HOST_IP_FIELD_NUMBER: _ClassVar[int]
    container_instance_arn: str
    ec2_instance_id: str
    version: int
    version_info: VersionInfo
    remaining_resources: _containers.RepeatedCompositeFieldContainer[Resource]
    registered_resources: _containers.RepeatedCompositeFieldContainer[Resource]
    status: str
    status_reason: str
    agent_connected: bool
    running_tasks_count: int
    pending_tasks_count: int
    attributes: _containers.RepeatedCompositeFieldContainer[Attribute]
    registered_at: _timestamp_pb2.Timestamp
    tags: _containers.RepeatedCompositeFieldContainer[Tag]
    health_status: ContainerInstanceHealthStatus
    session_epoch: int
    host_usage: HostUsage
    disconnected_at: _timestamp_pb2.Timestamp
    host_ip: str
    def __init__(self, container_instance_arn: _Optional[str] = ..., ec2_instance_id: _Optional[str] = ..., version: _Optional[int] = ..., version_info: _Optional[_Union[VersionInfo, _Mapping]] = ..., remaining_resources: _Optional[_Iterable[_Union[Resource, _Mapping]]] = ..., registered_resources: _Optional[_Iterable[_Union[Resource, _Mapping]]] = ..., status: _Optional[str] = ..., status_reason: _Optional[str] = ..., agent_connected: _Optional[bool] = ..., running_tasks_count: _Optional[int] = ..., pending_tasks_count: _Optional[int] = ..., attributes: _Optional[_Iterable[_Union[Attribute, _Mapping]]] = ..., registered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tags: _Optional[_Iterable[_Union[Tag, _Mapping]]] = ..., health_status: _Optional[_Union[ContainerInstanceHealthStatus, _Mapping]] = ..., session_epoch: _Optional[int] = ..., host_usage: _Optional[_Union[HostUsage, _Mapping]] = ..., disconnected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., host_ip: _Optional[str] = ...) -> None: ...

class ContainerOverride(_message.Message):
    __slots__ = ("name", "command", "environment", "cpu", "memory", "memory_reservation")
    NAME_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    MEMORY_RESERVATION_FIELD_NUMBER: _ClassVar[int]
    name: str
    command: _containers.RepeatedScalarFieldContainer[str]
    environment: _containers.RepeatedCompositeFieldContainer[KeyValuePair]
    cpu: int
    memory: int
    memory_reservation: int
    def __init__(self, name: _Optional[str] = ..., command: _Optional[_Iterable[str]] = ..., environment: _Optional[_Iterable[_Union[KeyValuePair, _Mapping]]] = ..., cpu: _Optional[int] = ..., memory: _Optional[int] = ..., memory_reservation: _Optional[int] = ...) -> None: ...

class TaskOverride(_message.Message):
    __slots__ = ("container_overrides", "cpu", "memory", "task_role_arn", "execution_role_arn")
    CONTAINER_OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    TASK_ROLE_ARN_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ROLE_ARN_FIELD_NUMBER: _ClassVar[int]
    container_overrides: _containers.RepeatedCompositeFieldContainer[ContainerOverride]
    cpu: str
    memory: str
    task_role_arn: str
    execution_role_arn: str
    def __init__(self, container_overrides: _Optional[_Iterable[_Union[ContainerOverride, _Mapping]]] = ..., cpu: _Optional[str] = ..., memory: _Optional[str] = ..., task_role_arn: _Optional[str] = ..., execution_role_arn: _Optional[str] = ...) -> None: ...

class NetworkBinding(_message.Message):
    __slots__ = ("bind_i_p", "container_port", "host_port", "protocol")
    BIND_I_P_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_PORT_FIELD_NUMBER: _ClassVar[int]
    HOST_PORT_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    bind_i_p: str
    container_port: int
    host_port: int
    protocol: str
    def __init__(self, bind_i_p: _Optional[str] = ..., container_port: _Optional[int] = ..., host_port: _Optional[int] = ..., protocol: _Optional[str] = ...) -> None: ...

class Container(_message.Message):
    __slots__ = ("container_arn", "task_arn", "name", "image", "image_digest", "runtime_id", "last_status", "exit_code", "reason", "network_bindings", "health_status", "cpu", "memory", "memory_reservation", "log_group", "log_stream")
    CONTAINER_ARN_FIELD_NUMBER: _ClassVar[int]
    TASK_ARN_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_STATUS_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    NETWORK_BINDINGS_FIELD_NUMBER: _ClassVar[int]
    HEALTH_STATUS_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    MEMORY_RESERVATION_FIELD_NUMBER: _ClassVar[int]
    LOG_GROUP_FIELD_NUMBER: _ClassVar[int]
    LOG_STREAM_FIELD_NUMBER: _ClassVar[int]
    container_arn: str
    task_arn: str
    name: str
    image: str
    image_digest: str
    runtime_id: str
    last_status: str
    exit_code: int
    reason: str
    network_bindings: _containers.RepeatedCompositeFieldContainer[NetworkBinding]
    health_status: str
    cpu: str
    memory: str
    memory_reservation: str
    log_group: str
    log_stream: str
    def __init__(self, container_arn: _Optional[str] = ..., task_arn: _Optional[str] = ..., name: _Optional[str] = ..., image: _Optional[str] = ..., image_digest: _Optional[str] = ..., runtime_id: _Optional[str] = ..., last_status: _Optional[str] = ..., exit_code: _Optional[int] = ..., reason: _Optional[str] = ..., network_bindings: _Optional[_Iterable[_Union[NetworkBinding, _Mapping]]] = ..., health_status: _Optional[str] = ..., cpu: _Optional[str] = ..., memory: _Optional[str] = ..., memory_reservation: _Optional[str] = ..., log_group: _Optional[str] = ..., log_stream: _Optional[str] = ...) -> None: ...

class Task(_message.Message):
    __slots__ = ("task_arn", "cluster_arn", "task_definition_arn", "container_instance_arn", "overrides", "last_status", "desired_status", "cpu", "memory", "containers", "started_by", "version", "stopped_reason", "stop_code", "group", "launch_type", "health_status", "availability_zone", "created_at", "started_at", "stopping_at", "stopped_at", "pull_started_at", "pull_stopped_at", "execution_stopped_at", "connectivity_at", "connectivity", "tags", "attributes", "reserved_ports", "placement_reason", "enable_execute_command", "lb_draining_since", "lb_drain_until", "lb_drain_reason")
    TASK_ARN_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ARN_FIELD_NUMBER: _ClassVar[int]
    TASK_DEFINITION_ARN_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_INSTANCE_ARN_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    LAST_STATUS_FIELD_NUMBER: _ClassVar[int]
    DESIRED_STATUS_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    STARTED_BY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STOPPED_REASON_FIELD_NUMBER: _ClassVar[int]
    STOP_CODE_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_TYPE_FIELD_NUMBER: _ClassVar[int]
    HEALTH_STATUS_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    STOPPING_AT_FIELD_NUMBER: _ClassVar[int]
    STOPPED_AT_FIELD_NUMBER: _ClassVar[int]
    PULL_STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    PULL_STOPPED_AT_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_STOPPED_AT_FIELD_NUMBER: _ClassVar[int]
    CONNECTIVITY_AT_FIELD_NUMBER: _ClassVar[int]
    CONNECTIVITY_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    RESERVED_PORTS_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_REASON_FIELD_NUMBER: _ClassVar[int]
    ENABLE_EXECUTE_COMMAND_FIELD_NUMBER: _ClassVar[int]
    LB_DRAINING_SINCE_FIELD_NUMBER: _ClassVar[int]
    LB_DRAIN_UNTIL_FIELD_NUMBER: _ClassVar[int]
    LB_DRAIN_REASON_FIELD_NUMBER: _ClassVar[int]
    task_arn: str
    cluster_arn: str
    task_definition_arn: str
    container_instance_arn: str
    overrides: TaskOverride
    last_status: str
    desired_status: str
    cpu: str
    memory: str
    containers: _containers.RepeatedCompositeFieldContainer[Container]
    started_by: str
    version: int
    stopped_reason: str
    stop_code: str
    group: str
    launch_type: str
    health_status: str
    availability_zone: str
    created_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    stopping_at: _timestamp_pb2.Timestamp
    stopped_at: _timestamp_pb2.Timestamp
    pull_started_at: _timestamp_pb2.Timestamp
    pull_stopped_at: _timestamp_pb2.Timestamp
    execution_stopped_at: _timestamp_pb2.Timestamp
    connectivity_at: _timestamp_pb2.Timestamp
    connectivity: str
    tags: _containers.RepeatedCompositeFieldContainer[Tag]
    attributes: _containers.RepeatedCompositeFieldContainer[Attribute]
    reserved_ports: _containers.RepeatedCompositeFieldContainer[NetworkBinding]
    placement_reason: str
    enable_execute_command: bool
    lb_draining_since: _timestamp_pb2.Timestamp
    lb_drain_until: _timestamp_pb2.Timestamp
    lb_drain_reason: str
    def __init__(self, task_arn: _Optional[str] = ..., cluster_arn: _Optional[str] = ..., task_definition_arn: _Optional[str] = ..., container_instance_arn: _Optional[str] = ..., overrides: _Optional[_Union[TaskOverride, _Mapping]] = ..., last_status: _Optional[str] = ..., desired_status: _Optional[str] = ..., cpu: _Optional[str] = ..., memory: _Optional[str] = ..., containers: _Optional[_Iterable[_Union[Container, _Mapping]]] = ..., started_by: _Optional[str] = ..., version: _Optional[int] = ..., stopped_reason: _Optional[str] = ..., stop_code: _Optional[str] = ..., group: _Optional[str] = ..., launch_type: _Optional[str] = ..., health_status: _Optional[str] = ..., availability_zone: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stopping_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stopped_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pull_started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pull_stopped_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., execution_stopped_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., connectivity_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., connectivity: _Optional[str] = ..., tags: _Optional[_Iterable[_Union[Tag, _Mapping]]] = ..., attributes: _Optional[_Iterable[_Union[Attribute, _Mapping]]] = ..., reserved_ports: _Optional[_Iterable[_Union[NetworkBinding, _Mapping]]] = ..., placement_reason: _Optional[str] = ..., enable_execute_command: _Optional[bool] = ..., lb_draining_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lb_drain_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lb_drain_reason: _Optional[str] = ...) -> None: ...

class Failure(_message.Message):
    __slots__ = ("arn", "reason", "detail", "eliminated", "closest_container_instance", "count")
    class EliminatedEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ARN_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    ELIMINATED_FIELD_NUMBER: _ClassVar[int]
    CLOSEST_CONTAINER_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    arn: str
    reason: str
    detail: str
    eliminated: _containers.ScalarMap[str, int]
    closest_container_instance: str
    count: int
    def __init__(self, arn: _Optional[str] = ..., reason: _Optional[str] = ..., detail: _Optional[str] = ..., eliminated: _Optional[_Mapping[str, int]] = ..., closest_container_instance: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class ClusterSetting(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class Cluster(_message.Message):
    __slots__ = ("cluster_arn", "cluster_name", "status", "registered_container_instances_count", "running_tasks_count", "pending_tasks_count", "active_services_count", "tags", "settings")
    CLUSTER_ARN_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_CONTAINER_INSTANCES_COUNT_FIELD_NUMBER: _ClassVar[int]
    RUNNING_TASKS_COUNT_FIELD_NUMBER: _ClassVar[int]
    PENDING_TASKS_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_SERVICES_COUNT_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    cluster_arn: str
    cluster_name: str
    status: str
    registered_container_instances_count: int
    running_tasks_count: int
    pending_tasks_count: int
    active_services_count: int
    tags: _containers.RepeatedCompositeFieldContainer[Tag]
    settings: _containers.RepeatedCompositeFieldContainer[ClusterSetting]
    def __init__(self, cluster_arn: _Optional[str] = ..., cluster_name: _Optional[str] = ..., status: _Optional[str] = ..., registered_container_instances_count: _Optional[int] = ..., running_tasks_count: _Optional[int] = ..., pending_tasks_count: _Optional[int] = ..., active_services_count: _Optional[int] = ..., tags: _Optional[_Iterable[_Union[Tag, _Mapping]]] = ..., settings: _Optional[_Iterable[_Union[ClusterSetting, _Mapping]]] = ...) -> None: ...

class DeploymentCircuitBreaker(_message.Message):
    __slots__ = ("enable", "rollback", "threshold")
    ENABLE_FIELD_NUMBER: _ClassVar[int]
    ROLLBACK_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    enable: bool
    rollback: bool
    threshold: int
    def __init__(self, enable: _Optional[bool] = ..., rollback: _Optional[bool] = ..., threshold: _Optional[int] = ...) -> None: ...

class DeploymentConfiguration(_message.Message):
    __slots__ = ("maximum_percent", "minimum_healthy_percent", "deployment_circuit_breaker")
    MAXIMUM_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_HEALTHY_PERCENT_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_CIRCUIT_BREAKER_FIELD_NUMBER: _ClassVar[int]
    maximum_percent: int
    minimum_healthy_percent: int
    deployment_circuit_breaker: DeploymentCircuitBreaker
    def __init__(self, maximum_percent: _Optional[int] = ..., minimum_healthy_percent: _Optional[int] = ..., deployment_circuit_breaker: _Optional[_Union[DeploymentCircuitBreaker, _Mapping]] = ...) -> None: ...

class Deployment(_message.Message):
    __slots__ = ("id", "status", "task_definition", "desired_count", "pending_count", "running_count", "failed_tasks", "created_at", "updated_at", "rollout_state", "rollout_state_reason", "launch_type", "consecutive_failures", "launch_backoff_seconds", "next_launch_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    DESIRED_COUNT_FIELD_NUMBER: _ClassVar[int]
    PENDING_COUNT_FIELD_NUMBER: _ClassVar[int]
    RUNNING_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILED_TASKS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_STATE_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_STATE_REASON_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONSECUTIVE_FAILURES_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_BACKOFF_SECONDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_LAUNCH_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: str
    task_definition: str
    desired_count: int
    pending_count: int
    running_count: int
    failed_tasks: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    rollout_state: str
    rollout_state_reason: str
    launch_type: str
    consecutive_failures: int
    launch_backoff_seconds: int
    next_launch_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., status: _Optional[str] = ..., task_definition: _Optional[str] = ..., desired_count: _Optional[int] = ..., pending_count: _Optional[int] = ..., running_count: _Optional[int] = ..., failed_tasks: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rollout_state: _Optional[str] = ..., rollout_state_reason: _Optional[str] = ..., launch_type: _Optional[str] = ..., consecutive_failures: _Optional[int] = ..., launch_backoff_seconds: _Optional[int] = ..., next_launch_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ServiceEvent(_message.Message):
    __slots__ = ("id", "created_at", "message")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    id: str
    created_at: _timestamp_pb2.Timestamp
    message: str
    def __init__(self, id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., message: _Optional[str] = ...) -> None: ...

class Service(_message.Message):
    __slots__ = ("service_arn", "service_name", "cluster_arn", "status", "desired_count", "running_count", "pending_count", "launch_type", "task_definition", "deployment_configuration", "deployments", "events", "created_at", "placement_constraints", "placement_strategy", "health_check_grace_period_seconds", "scheduling_strategy", "tags", "created_by", "stable_task_definition", "enable_execute_command", "load_balancers")
    SERVICE_ARN_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ARN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DESIRED_COUNT_FIELD_NUMBER: _ClassVar[int]
    RUNNING_COUNT_FIELD_NUMBER: _ClassVar[int]
    PENDING_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_GRACE_PERIOD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULING_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    STABLE_TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    ENABLE_EXECUTE_COMMAND_FIELD_NUMBER: _ClassVar[int]
    LOAD_BALANCERS_FIELD_NUMBER: _ClassVar[int]
    service_arn: str
    service_name: str
    cluster_arn: str
    status: str
    desired_count: int
    running_count: int
    pending_count: int
    launch_type: str
    task_definition: str
    deployment_configuration: DeploymentConfiguration
    deployments: _containers.RepeatedCompositeFieldContainer[Deployment]
    events: _containers.RepeatedCompositeFieldContainer[ServiceEvent]
    created_at: _timestamp_pb2.Timestamp
    placement_constraints: _containers.RepeatedCompositeFieldContainer[PlacementConstraint]
    placement_strategy: _containers.RepeatedCompositeFieldContainer[PlacementStrategy]
    health_check_grace_period_seconds: int
    scheduling_strategy: str
    tags: _containers.RepeatedCompositeFieldContainer[Tag]
    created_by: str
    stable_task_definition: str
    enable_execute_command: bool
    load_balancers: _containers.RepeatedCompositeFieldContainer[LoadBalancer]
    def __init__(self, service_arn: _Optional[str] = ..., service_name: _Optional[str] = ..., cluster_arn: _Optional[str] = ..., status: _Optional[str] = ..., desired_count: _Optional[int] = ..., running_count: _Optional[int] = ..., pending_count: _Optional[int] = ..., launch_type: _Optional[str] = ..., task_definition: _Optional[str] = ..., deployment_configuration: _Optional[_Union[DeploymentConfiguration, _Mapping]] = ..., deployments: _Optional[_Iterable[_Union[Deployment, _Mapping]]] = ..., events: _Optional[_Iterable[_Union[ServiceEvent, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., placement_constraints: _Optional[_Iterable[_Union[PlacementConstraint, _Mapping]]] = ..., placement_strategy: _Optional[_Iterable[_Union[PlacementStrategy, _Mapping]]] = ..., health_check_grace_period_seconds: _Optional[int] = ..., scheduling_strategy: _Optional[str] = ..., tags: _Optional[_Iterable[_Union[Tag, _Mapping]]] = ..., created_by: _Optional[str] = ..., stable_task_definition: _Optional[str] = ..., enable_execute_command: _Optional[bool] = ..., load_balancers: _Optional[_Iterable[_Union[LoadBalancer, _Mapping]]] = ...) -> None: ...

class LoadBalancer(_message.Message):
    __slots__ = ("target_group_arn", "load_balancer_name", "container_name", "container_port")
    TARGET_GROUP_ARN_FIELD_NUMBER: _ClassVar[int]
    LOAD_BALANCER_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_PORT_FIELD_NUMBER: _ClassVar[int]
    target_group_arn: str
    load_balancer_name: str
    container_name: str
    container_port: int
    def __init__(self, target_group_arn: _Optional[str] = ..., load_balancer_name: _Optional[str] = ..., container_name: _Optional[str] = ..., container_port: _Optional[int] = ...) -> None: ...
